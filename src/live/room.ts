import { isCompressedKeyHex } from '../brc103/wire'
import { MAX_MESSAGE_BOX_BYTES, messageBoxName } from '../text'

/** A live room `<key>-<box>`: one identity's message box. */
export interface Room {
  key: string
  box: string
}

const KEY_LENGTH = 66

/** The longest room id: a key, `-`, and the longest box name. */
export const MAX_ROOM_ID_LENGTH = KEY_LENGTH + 1 + MAX_MESSAGE_BOX_BYTES

/**
 * Parses a room id: the 66-hex key, a `-`, and the box, which is **everything** after that `-`
 * (so `payment-inbox` stays whole, unlike the reference server). The box must be a valid message box
 * name as written (no trimming: the room's name is the push's event name).
 */
export function parseRoom(roomId: unknown): Room | null {
  if (typeof roomId !== 'string' || roomId[KEY_LENGTH] !== '-') return null
  const key = roomId.slice(0, KEY_LENGTH).toLowerCase()
  const box = roomId.slice(KEY_LENGTH + 1)
  if (!isCompressedKeyHex(key) || messageBoxName(box) !== box) return null
  return { key, box }
}

export function roomId(room: Room): string {
  return `${room.key}-${room.box}`
}
