import type { Handler } from '../server/context'
import { ADVERTISED_APIS } from '../server/versions'

/** ApiVersions: the advertised range of every API the server answers. */
export const apiVersions: Handler<18> = () => ({
  errorCode: 0,
  apiKeys: [...ADVERTISED_APIS],
  throttleTimeMs: 0,
})
