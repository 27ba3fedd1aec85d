// Reads {"cases": [{"id", "token", "now_ms", "options": {jwtKey, issuer, authorizedParties}}]} on
// stdin and prints [{"id", "accepted", "reason"}]: @clerk/backend's own verdict on each token,
// with its clock set to `now_ms`. Networkless (jwtKey). Used by apps/core/tests/test_clerk_parity.py.
import { verifyToken } from '@clerk/backend'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const { cases } = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const realNow = Date.now
const verdicts = []
for (const { id, token, now_ms: nowMs, options } of cases) {
  Date.now = () => nowMs
  try {
    await verifyToken(token, options)
    verdicts.push({ id, accepted: true, reason: null })
  } catch (error) {
    verdicts.push({ id, accepted: false, reason: `${error?.reason ?? error?.name}: ${error?.message}` })
  } finally {
    Date.now = realNow
  }
}
process.stdout.write(JSON.stringify(verdicts))
