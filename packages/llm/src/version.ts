/** Kept equal to package.json's version by a test (the scope version of our meter). */
export const VERSION = '0.1.0';
