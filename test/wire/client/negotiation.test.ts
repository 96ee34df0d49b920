import { describe, expect, it } from 'vitest'
import { API_TABLE, ApiKeys, CLIENT_API_VERSIONS, negotiateVersions } from '../../../src/wire'
import { versionFor } from '../../../src/wire/client/negotiation'

describe('version negotiation', () => {
  it('the client writes each API up to the highest version the protocol layer knows', () => {
    for (const api of CLIENT_API_VERSIONS) {
      expect(api.maxVersion).toBe(API_TABLE.find((a) => a.apiKey === api.apiKey)!.maxVersion)
      expect(api.minVersion).toBeLessThanOrEqual(api.maxVersion)
    }
    expect(CLIENT_API_VERSIONS.find((a) => a.apiKey === ApiKeys.Produce)?.minVersion).toBe(3)
    expect(CLIENT_API_VERSIONS.find((a) => a.apiKey === ApiKeys.Fetch)?.minVersion).toBe(4)
  })

  it('picks the highest version both sides speak, per API', () => {
    const versions = negotiateVersions([
      { apiKey: ApiKeys.Fetch, minVersion: 4, maxVersion: 12 },
      { apiKey: ApiKeys.Produce, minVersion: 0, maxVersion: 99 },
      { apiKey: ApiKeys.Metadata, minVersion: 0, maxVersion: 3 },
      { apiKey: 999, minVersion: 0, maxVersion: 5 },
    ])
    expect(versions.get(ApiKeys.Fetch)).toBe(12)
    // The broker speaks more than the client: the client's highest.
    expect(versions.get(ApiKeys.Produce)).toBe(API_TABLE.find((a) => a.name === 'Produce')!.maxVersion)
    // No overlap (the client needs Metadata v4+), and an API the client does not know: none.
    expect(versions.has(ApiKeys.Metadata)).toBe(false)
    expect(versions.has(999)).toBe(false)
  })

  it('a missing API or a cap below the client minimum is an unsupported-version error naming both ranges', () => {
    const broker = [
      { apiKey: ApiKeys.Fetch, minVersion: 4, maxVersion: 16 },
      { apiKey: ApiKeys.Metadata, minVersion: 0, maxVersion: 3 },
    ]
    const versions = negotiateVersions(broker)
    expect(versionFor(versions, broker, ApiKeys.Fetch, 'b:1')).toBe(16)
    expect(versionFor(versions, broker, ApiKeys.Fetch, 'b:1', 12)).toBe(12)
    expect(() => versionFor(versions, broker, ApiKeys.Fetch, 'b:1', 3)).toThrow(/cannot be asked Fetch/)
    expect(() => versionFor(versions, broker, ApiKeys.Metadata, 'b:1')).toThrow(
      'b:1 cannot be asked Metadata: the broker speaks v0-v3, this client v4-v13',
    )
    expect(() => versionFor(versions, broker, ApiKeys.Produce, 'b:1')).toThrow(
      expect.objectContaining({
        code: 'UNSUPPORTED_VERSION',
        message: expect.stringMatching(/does not offer it/),
      }),
    )
  })
})
