/**
 * The pure FFmpeg argument builders of the single-output operations. Each
 * decides the exact invocation for one probed input; none spawns anything.
 * The operations themselves (schemas, plans, output manifests) live in
 * @mediaflow/operations and call these.
 */
export { planCompress } from './plan/compress';
export { planConvertFormat } from './plan/convert-format';
export { planExtractAudio } from './plan/extract-audio';
export { planGrayscale } from './plan/grayscale';
export { planResize } from './plan/resize';
