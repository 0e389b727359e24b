import { runClampConformance } from '../testing/clampConformance.js';
import { createWasmBackend } from './wasm.js';

runClampConformance('wasm', () => createWasmBackend());
