export {
  CompressionCodec,
  type CompressionCodecId,
  compress,
  type DecompressOptions,
  decompress,
  decompressSync,
  loadCodec,
  loadCodecs,
} from './compression'
