#!/usr/bin/env node
import { run } from './run.js';

const exit = (code: number) => {
  process.exitCode = code;
  // Let stdout drain, but do not let a lingering keep-alive socket hold the process open.
  setTimeout(() => process.exit(code), 2000).unref();
};
run(process.argv.slice(2)).then(exit, () => exit(1));
