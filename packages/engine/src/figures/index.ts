/** Figure specs (Vega-Lite) for the paper's figures, shared by the dashboard and `opto report`; renderSvg for server-side SVG. */
export { EVAL_SET_LABELS, FIG_CONFIG, LN2, evalPoints, evalSetLabel, type RefLine, type TopLevelSpec } from './common.js';
export { DEFAULT_LOSS_SETS, lossCurvesSpec, runComparisonSpec, trainWindowSpec, type LossCurvesOptions, type RunComparisonOptions, type RunSeries, type TrainWindowOptions } from './lossCurves.js';
export { DEFAULT_TOKEN_LABELS, attentionHeatmapSpec, headCurvesSpec, type AttentionHeatmapOptions, type HeadCurvesOptions, type HeadPattern, type HeadPoint } from './heads.js';
export { strengthScatterSpec, type StrengthPoint, type StrengthScatterOptions } from './scatter.js';
export { TOY_CONDITION_LABELS, toyLossSpec, toyProgressSpec, type ToyFigureOptions, type ToySeries } from './toy.js';
export { compileSpec, renderSvg } from './render.js';
export { headMatrixSpec, type HeadMatrixOptions, type MatrixPanel } from './matrix.js';
export { learningTimeSpec, type LearningTimeOptions, type LearningTimePoint } from './learningTime.js';
export { emaSmooth, MAX_SMOOTHING } from './smoothing.js';
export { toCsv } from './csv.js';
export {
  curveAxes,
  groupCurveRows,
  groupCurvesSpec,
  groupLearningTimeRows,
  groupLearningTimeSpec,
  onLogAxes,
  type AxisOptions,
  type GroupCurveRow,
  type GroupCurvesOptions,
  type GroupLearningTimeRow,
  type GroupLearningTimes,
  type GroupPoint,
  type GroupSeries,
} from './groupCurves.js';
export { parallelCoordsSpec, parallelRows, type ParallelRow, type ParallelRun } from './parallelCoords.js';
export { burstyFigures, inductionFigures, type NamedFigure } from './taskFigures.js';
