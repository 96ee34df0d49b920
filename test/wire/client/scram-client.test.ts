import { describe, expect, it } from 'vitest'
import { ScramClient } from '../../../src/wire/client/scram-client'
import { ScramCredentials, scramFinal, scramFirst } from '../../../src/wire/server/sasl-scram'

// RFC 7677 §3: the SCRAM-SHA-256 exchange of user "user" with password "pencil".
const RFC = {
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
}

describe('ScramClient', () => {
  it('computes RFC 7677’s messages and accepts its server signature', () => {
    const client = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', RFC.clientNonce)
    expect(client.firstMessage()).toBe(RFC.clientFirst)
    expect(client.finalMessage(RFC.serverFirst)).toEqual({ ok: true, message: RFC.clientFinal })
    expect(client.verifyServerFinal(RFC.serverFinal)).toEqual({ ok: true })
  })

  it('refuses a server signature that does not prove the password', () => {
    const client = new ScramClient('SCRAM-SHA-256', 'user', 'not-pencil', RFC.clientNonce)
    expect(client.finalMessage(RFC.serverFirst).ok).toBe(true)
    expect(client.verifyServerFinal(RFC.serverFinal)).toEqual({
      ok: false,
      reason: expect.stringMatching(/signature is wrong/),
    })
  })

  it('refuses a server-first message that does not extend its nonce, is malformed or weakens the keys', () => {
    const client = () => new ScramClient('SCRAM-SHA-256', 'user', 'pencil', RFC.clientNonce)
    const refused = (serverFirst: string) => client().finalMessage(serverFirst)
    expect(refused('r=someoneElse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')).toMatchObject({ ok: false })
    expect(refused(`r=${RFC.clientNonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`)).toMatchObject({ ok: false })
    expect(refused(`r=${RFC.clientNonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1`)).toEqual({
      ok: false,
      reason: 'iteration count 1 (at least 4096 are needed)',
    })
    expect(refused(`r=${RFC.clientNonce}x,i=4096`)).toEqual({
      ok: false,
      reason: 'malformed server-first message',
    })
    expect(refused('garbage')).toMatchObject({ ok: false })
  })

  it('reports the error a server-final message names, and a server-final message before the final one', () => {
    const client = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', RFC.clientNonce)
    expect(client.verifyServerFinal(RFC.serverFinal)).toEqual({
      ok: false,
      reason: 'malformed server-final message',
    })
    client.finalMessage(RFC.serverFirst)
    expect(client.verifyServerFinal('e=invalid-proof')).toEqual({
      ok: false,
      reason: 'the server refused: invalid-proof',
    })
  })

  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${mechanism}: logs in against the server's side of the exchange, escaping , and = in the user name`, () => {
      const username = 'a,b=c'
      const credentials = new ScramCredentials({ [username]: 'p@ss wörd' })
      const client = new ScramClient(mechanism, username, 'p@ss wörd')
      expect(client.firstMessage()).toMatch(/^n,,n=a=2Cb=3Dc,r=/)
      const first = scramFirst(mechanism, client.firstMessage(), credentials)
      if (!first.ok) throw new Error(first.reason)
      const final = client.finalMessage(first.reply.toString())
      if (!final.ok) throw new Error(final.reason)
      const last = scramFinal(first.state!, final.message)
      expect(last).toMatchObject({ ok: true, username })
      if (!last.ok) return
      expect(client.verifyServerFinal(last.reply.toString())).toEqual({ ok: true })

      const wrong = new ScramClient(mechanism, username, 'guess')
      const again = scramFirst(mechanism, wrong.firstMessage(), credentials)
      if (!again.ok) throw new Error(again.reason)
      const guess = wrong.finalMessage(again.reply.toString())
      if (!guess.ok) throw new Error(guess.reason)
      expect(scramFinal(again.state!, guess.message)).toEqual({ ok: false, reason: 'wrong password' })
    })
  }
})
