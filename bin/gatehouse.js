#!/usr/bin/env node
// The package's `gatehouse` command: the TypeScript CLI, run by Node 22's type stripping.
import '../src/cli/main.ts';
