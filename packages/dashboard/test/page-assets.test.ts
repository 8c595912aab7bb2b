import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPageModule, PAGE_ASSETS_PATH } from '../scripts/build-page.js';
import { PAGE_HTML } from '../src/page-assets.js';

describe('src/page-assets.ts (generated)', () => {
  it('is up to date with page/ and uPlot: run `node packages/dashboard/scripts/build-page.ts` if not', async () => {
    const fresh = await buildPageModule();
    expect(readFileSync(PAGE_ASSETS_PATH, 'utf8') === fresh, 'src/page-assets.ts is stale').toBe(true);
  });

  it('is one self-contained document with the uPlot bundle and its licence notice', () => {
    expect(PAGE_HTML.startsWith('<!doctype html>')).toBe(true);
    expect(PAGE_HTML).toContain('uPlot 1.6.32 (c) Leon Sorokin, MIT License');
    expect(PAGE_HTML).toContain('.u-legend'); // uPlot's CSS
    expect(PAGE_HTML).toContain('__TOKENMETER_CONFIG__');
    expect(PAGE_HTML.match(/<script/g)).toHaveLength(1);
    expect(PAGE_HTML).not.toMatch(/<script[^>]+src=|<link[^>]+href="(?!data:)|@import|url\(\s*['"]?https?:/i);
    expect(PAGE_HTML.length).toBeLessThan(120_000);
  });
});
