#!/usr/bin/env node
// The `vigil` command. It runs the TypeScript sources through tsx's loader, as `npm start` does.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2), process.env);
