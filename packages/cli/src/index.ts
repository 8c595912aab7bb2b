export { parseDuration } from './args.js';
export { CliError, EXIT } from './exit-codes.js';
export { MAIN_HELP, run, VERSION } from './run.js';
