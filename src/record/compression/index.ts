export {
  CompressionCodec,
  type CompressionCodecId,
  codecsLoadOnDemand,
  compress,
  type DecompressOptions,
  decompress,
  decompressSync,
  loadCodec,
  loadCodecs,
} from './compression'
