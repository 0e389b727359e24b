export {
  batchTensors,
  benchTfjs,
  createTfjsModel,
  SyntheticTask,
  trainStep,
  useTfjsBackend,
  type HostBatch,
  type TfjsBenchResult,
  type TfjsModel,
  type TfjsModelConfig,
} from './tfjsModel.js';
export {
  benchTorch,
  defaultTorchPythons,
  findTorchPython,
  torchScriptPath,
  type PeerUnavailable,
  type TorchBenchResult,
} from './torch.js';
