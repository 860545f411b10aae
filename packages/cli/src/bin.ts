#!/usr/bin/env node
import { enableRelaxedSimd } from '@moh/tensor';
import { main } from './main.js';

// Before any backend exists: on Node 20 this turns on the relaxed SIMD that lets the
// matrix products fuse their multiply-adds (Node ≥ 22 has it already).
enableRelaxedSimd();
process.exitCode = await main(process.argv.slice(2));
