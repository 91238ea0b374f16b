export * from './run/job-runner';
export * from './run/failure-policy';
export * from './run/plan-progress';
export * from './artifacts/output-publisher';
export * from './steps';
export * from './progress-reporter';
export * from './reaper';
export * from './worker';
export { missingTranscriptionPieces, warnIfTranscriptionMissing } from './transcription-settings';
