import { LogbusError } from '../index'

/**
 * An HTTP error with Confluent REST Proxy's body: `{ "error_code": 40403, "message": "…" }`. The
 * `error_code` is Confluent's: the HTTP status, or the status followed by two digits that say more
 * (40401 topic not found, 40403 consumer instance not found, 42204 invalid consumer configuration…).
 *
 * @example
 * ```ts
 * import { RestError } from 'logbus/http'
 *
 * const error = new RestError(404, 40401, 'Topic not found.')
 * console.log(error.status, error.body()) // 404 { error_code: 40401, message: 'Topic not found.' }
 * ```
 */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'RestError'
  }

  /**
   * The response body.
   *
   * @example
   * ```ts
   * const body = new RestError(400, 400, 'Bad JSON').body()
   * ```
   */
  body(): { error_code: number; message: string } {
    return { error_code: this.errorCode, message: this.message }
  }
}

/** Which API answers: the codes of a topic that does not exist differ between v2 and v3. */
export type RestApi = 'v2' | 'v3'

/** Kafka's errors as Confluent's REST Proxy reports them. */
export function restErrorOf(error: unknown, api: RestApi): RestError {
  if (error instanceof RestError) return error
  if (!(error instanceof LogbusError)) {
    return new RestError(500, 500, `Internal server error: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    })
  }
  const message = error.message
  switch (error.code) {
    case 'UNKNOWN_TOPIC_OR_PARTITION':
      if (api === 'v3') return new RestError(404, 40403, message, { cause: error })
      return /partition/i.test(message) && /\d/.test(message)
        ? new RestError(404, 40402, `Partition not found. ${message}`, { cause: error })
        : new RestError(404, 40401, `Topic not found. ${message}`, { cause: error })
    case 'GROUP_ID_NOT_FOUND':
      return new RestError(404, 40403, message, { cause: error })
    case 'TOPIC_ALREADY_EXISTS':
    case 'INVALID_TOPIC_EXCEPTION':
    case 'INVALID_PARTITIONS':
    case 'INVALID_CONFIG':
    case 'INVALID_RECORD':
    case 'OFFSET_OUT_OF_RANGE':
      return new RestError(400, 40002, message, { cause: error })
    case 'MESSAGE_TOO_LARGE':
      return new RestError(413, 413, message, { cause: error })
    case 'NON_EMPTY_GROUP':
    case 'INVALID_STATE':
    case 'ILLEGAL_GENERATION':
    case 'UNKNOWN_MEMBER_ID':
      return new RestError(409, 40903, `Illegal state: ${message}`, { cause: error })
    case 'CLOSED':
      return new RestError(503, 50003, `Retriable Kafka error: ${message}`, { cause: error })
    default:
      return error.retriable
        ? new RestError(500, 50003, `Retriable Kafka error: ${message}`, { cause: error })
        : new RestError(500, 50002, `Kafka error: ${message}`, { cause: error })
  }
}
