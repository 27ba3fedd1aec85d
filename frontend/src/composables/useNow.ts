import { onScopeDispose, ref, type Ref } from 'vue'

const now = ref(Date.now())
let users = 0
let timer: ReturnType<typeof setInterval> | null = null

/**
 * The current time in milliseconds, updated every second while some component uses it: one
 * shared timer drives every countdown on the page (SLA badges, clocks).
 */
export function useNow(): Ref<number> {
  users += 1
  if (!timer) {
    now.value = Date.now()
    timer = setInterval(() => (now.value = Date.now()), 1000)
  }
  onScopeDispose(() => {
    users -= 1
    if (users === 0 && timer) {
      clearInterval(timer)
      timer = null
    }
  })
  return now
}
