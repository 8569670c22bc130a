/**
 * The Codex CLI's own auth.json as the credential store (`CHATGPT_CODEX_STORE=codex`).
 * Placeholder until the codex-store issue lands.
 */
import { SkillError } from '../result.js'
import { setCodexStoreFactory } from './credentials.js'

setCodexStoreFactory(() => {
  throw new SkillError('invalid_config', 'CHATGPT_CODEX_STORE=codex is not available in this build', {
    hint: 'Unset CHATGPT_CODEX_STORE to use the default store.',
  })
})
