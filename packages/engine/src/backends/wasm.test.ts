import { runConformance } from '../testing/conformance.js';
import { createWasmBackend } from './wasm.js';

runConformance('wasm', () => createWasmBackend());
