export * from './probe-types';
export { normaliseProbe } from './probe-normalise';
export { probeMedia } from './probe';
export type { ProbeOptions } from './probe';
export type { FfmpegPlan, OutputExpectation, PlanIo, StreamKind } from './plan/plan-types';
export { planCompress, planConvertFormat, planExtractAudio, planGrayscale, planResize } from './plan';
export { concatTarget, planConcat } from './plan/concat';
export type { ConcatInput, ConcatSettings, ConcatTarget } from './plan/concat';
export { formatFacts } from './plan/formats';
export type { FormatFacts } from './plan/formats';
export { TRANSCRIPTION_SAMPLE_RATE, planTranscriptionAudio } from './plan/transcription-audio';
export { planSubtitleMux } from './plan/subtitle-mux';
export type { SubtitleMuxIo, SubtitleMuxOptions } from './plan/subtitle-mux';
export { subtitleLanguageCode } from './plan/subtitle-language';
export { codecFitsContainer } from './plan/container-codecs';
export {
  DEFAULT_RESIZE_BOX,
  MAX_ASPECT_ERROR,
  MIN_RESIZE_SIDE,
  displaySize,
  fitWithin,
  targetDimensions,
  toEven,
} from './plan/dimensions';
export { HDR_REFERENCE_WHITE_NITS, colourPlan, colourTagArgs, sdrTags } from './plan/colour';
export type { ColourConversion, ColourPlan, OutputColour } from './plan/colour';
export { deinterlaceFilters, frameTimingArgs } from './plan/scan';
export { picturePlan } from './plan/picture';
export type { PicturePlan } from './plan/picture';
export type { Size } from './plan/dimensions';
export { ProgressParser, etaSeconds, toPercent } from './progress';
export type { ProgressSnapshot } from './progress';
export { runFfmpeg } from './ffmpeg-runner';
export type { FfmpegProgress, FfmpegRunResult, RunFfmpegOptions } from './ffmpeg-runner';
export { FfmpegFailure } from './ffmpeg-failure';
export { REQUIRED_ENCODERS, checkFfmpeg, parseEncoders, parseVersion } from './ffmpeg-capabilities';
export type { FfmpegCapabilities } from './ffmpeg-capabilities';
export { Transcriber } from './transcription/transcriber';
export type {
  Transcript,
  TranscriptSegment,
  TranscriptionProgress,
  TranscriptionRequest,
} from './transcription/transcriber';
export { FasterWhisperTranscriber } from './transcription/faster-whisper-transcriber';
export type {
  FasterWhisperOptions,
  FasterWhisperStats,
  TranscriberLog,
} from './transcription/faster-whisper-transcriber';
export {
  KNOWN_WHISPER_MODELS,
  isKnownWhisperModel,
  locateWhisperModel,
  missingModelFiles,
  resolveWhisperModelDir,
} from './transcription/whisper-models';
export {
  DEFAULT_TRANSCRIBE_SCRIPT,
  DEFAULT_WHISPER_BEAM_SIZE,
  DEFAULT_WHISPER_MODEL,
  whisperSettingsFromEnv,
} from './transcription/whisper-settings';
export type { WhisperSettings } from './transcription/whisper-settings';
export { formatTimestamp, parseSrt, toCues, toSrt, toTranscriptJson, toWebVtt } from './transcription/subtitles';
export type { Cue, SrtCue } from './transcription/subtitles';
export { normaliseWords, wordErrorDetails, wordErrorRate } from './transcription/wer';
export type { WerResult } from './transcription/wer';
export {
  ALLOWED_AUDIO_CODECS,
  ALLOWED_CONTAINERS,
  ALLOWED_VIDEO_CODECS,
  FORMAT_WHITELIST,
  isAllowedContainer,
} from './allow-lists';
export { DEFAULT_MEDIA_LIMITS, assertMediaWithinLimits } from './limits';
export type { MediaLimits } from './limits';
export {
  CPU_SECONDS_PER_MEDIA_SECOND,
  FFMPEG_NICENESS,
  MIN_CPU_SECONDS,
  PROBE_CPU_SECONDS,
  UNKNOWN_DURATION_ASSUMED_SEC,
  ffmpegProcessLimits,
  mediaLimitsFromConfig,
  probeProcessLimits,
  scaledCpuSeconds,
} from './limits-config';
export type { MediaLimitsConfig } from './limits-config';
export type { ProcessLimits } from './process-limits';
export {
  DEFAULT_LADDER_HEIGHTS,
  FALLBACK_FRAME_RATE,
  MAX_LADDER_FRAME_RATE,
  avc1Codec,
  h264Level,
  ladderFrameRate,
  planLadder,
  rungMaxrateKbps,
} from './plan/ladder';
export type { LadderRung } from './plan/ladder';
export {
  AAC_LC_CODEC,
  CMAF_MANIFEST_NAME,
  HLS_MASTER_NAME,
  dashencPlaylistName,
  planCmafPackage,
} from './plan/cmaf-package';
export type { CmafPackageOptions, CmafPackagePlan } from './plan/cmaf-package';
export { POSTER_MAX_WIDTH, planPoster, planThumbnails, posterWindow, stillSize } from './plan/poster';
export type { ThumbnailOptions } from './plan/poster';
export {
  DEFAULT_TILE_WIDTH,
  MAX_TILE_COUNT,
  TARGET_TILE_COUNT,
  planStoryboard,
  storyboardGeometry,
  storyboardVtt,
  vttTimestamp,
} from './plan/storyboard';
export type { StoryboardGeometry } from './plan/storyboard';
export {
  averageSegmentBitrate,
  buildMasterPlaylist,
  commonTargetDuration,
  parseMediaPlaylist,
  peakSegmentBitrate,
  rewriteMediaPlaylist,
} from './plan/hls-playlists';
export type {
  HlsAudioInfo,
  HlsVariantInfo,
  MediaPlaylist,
  MediaPlaylistSegment,
  MeasuredSegment,
  RenditionRates,
} from './plan/hls-playlists';
export { audioStreamsOf, languageKey, selectAudioTrack, withAudioTrack } from './audio-track';
export type { AudioTrackSelector } from './audio-track';
export { ENCODER_LAYOUTS, STANDARD_LAYOUTS, channelLayoutArgs, channelLayoutFor } from './plan/channel-layouts';
export type { AudioEncoderName, ChannelLayoutChoice } from './plan/channel-layouts';
export { containerCodecs, copyableCodecs, subtitlePlan } from './plan/container-codecs';
export type { SubtitlePlan } from './plan/container-codecs';
export { ALLOWED_SUBTITLE_CODECS } from './allow-lists';
export { FORMATS_DOC_BEGIN, FORMATS_DOC_END, supportedFormatsMarkdown } from './formats-doc';
export {
  addPacketLine,
  assertSourceComplete,
  durationToleranceSec,
  hasData,
  readPackets,
  withPacketExtent,
} from './probe-extent';
export type { PacketPass, PacketPassOptions, StreamPackets } from './probe-extent';
export { firstFramesDecode } from './decode-check';
export { audioWithData, mediaExpectation } from './plan/output-expectation';
export {
  CLUSTER_ID,
  EBML_HEADER_ID,
  SEGMENT_ID,
  bufferSource,
  checkChunkSequence,
  chunkGapToleranceMs,
  checkJoinedChunks,
  detectSourceLayout,
  scanWebm,
  webmStartOf,
  withFileSource,
} from './webm-chunks';
export type {
  ByteSource,
  ChunkTimes,
  JoinedChunks,
  SourceLayout,
  WebmBlock,
  WebmScan,
  WebmScanHandlers,
  WebmStart,
} from './webm-chunks';
