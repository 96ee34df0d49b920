import { describe, expect, it } from 'vitest'
import { API_TABLE } from '../../../src/wire/protocol/apis'
import { decodeMessage, encodeMessage } from '../../../src/wire/protocol/codec'
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
} from '../../../src/wire/protocol/request'
import { prng, sampleMessage } from './samples'

const SEEDS = [1, 2, 3]

describe('every API round-trips at every supported version', () => {
  for (const api of API_TABLE) {
    for (let version = api.minVersion; version <= api.maxVersion; version++) {
      it(`${api.name} v${version} request and response`, () => {
        for (const seed of SEEDS) {
          const random = prng(seed * 1000 + api.apiKey * 31 + version)
          for (const schema of [api.request, api.response]) {
            const { input, expected } = sampleMessage(schema, version, random)
            const bytes = encodeMessage(schema, version, input).toBuffer()
            expect(decodeMessage(schema, version, bytes)).toEqual(expected)
          }
        }
      })
    }
  }
})

describe('framed requests and responses', () => {
  for (const api of API_TABLE) {
    for (const version of new Set([api.minVersion, api.maxVersion])) {
      it(`${api.name} v${version} through decodeRequest and encodeResponse`, () => {
        const random = prng(api.apiKey * 7 + version)
        const request = sampleMessage(api.request, version, random)
        const header = { apiKey: api.apiKey, apiVersion: version, correlationId: 99, clientId: 'c' }
        const frame = encodeRequest(header, request.input as never)
        expect(frame.readInt32BE(0)).toBe(frame.length - 4)
        const decoded = decodeRequest(frame.subarray(4))
        expect(decoded.header).toEqual(header)
        expect(decoded.body).toEqual(request.expected)

        const response = sampleMessage(api.response, version, random)
        const out = encodeResponse(api.apiKey, version, 1234, response.input as never)
        expect(out.readInt32BE(0)).toBe(out.length - 4)
        const back = decodeResponse(api.apiKey, version, out.subarray(4))
        expect(back.correlationId).toBe(1234)
        expect(back.body).toEqual(response.expected)
      })
    }
  }
})
