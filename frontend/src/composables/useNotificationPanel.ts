import { ref } from 'vue'

const open = ref(false)

/** Whether the notification panel is open: the bell owns it; live events read it (no toast for what it shows). */
export function useNotificationPanel() {
  return { open }
}
