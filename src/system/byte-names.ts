// File names as JS strings without loss: bytes that are not UTF-8 kept as lone surrogates U+DC80-U+DCFF.
import {isUtf8} from 'node:buffer'

/*
 * A file name is bytes; Node's string paths are UTF-8. A byte that is no part of valid UTF-8 is kept as the lone
 * low surrogate U+DC00 + byte (what Python calls surrogateescape): valid UTF-8 never decodes to a surrogate, so the
 * mapping is one-to-one, a path with such bytes stays one string (split at `/`, compared, used as a map key), and
 * nameBytes gives back exactly the bytes read. Such a string must reach the kernel as its bytes (fsPath): Node
 * would write each lone surrogate as U+FFFD, another name.
 */

/** A kept byte: a low surrogate U+DC80-U+DCFF that is not the second half of a pair (an astral character). */
const ESCAPED = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/

/** BYTES as a string: UTF-8 decoded, each byte outside a valid UTF-8 sequence as U+DC00 + byte. */
export function nameText(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString()
  let text = ''
  let start = 0
  for (let i = 0; i < bytes.length;) {
    const length = sequenceLength(bytes, i)
    if (length > 0) {
      i += length
      continue
    }
    text += bytes.toString('utf8', start, i) + String.fromCharCode(0xdc00 + (bytes[i] ?? 0))
    i++
    start = i
  }
  return text + bytes.toString('utf8', start)
}

/** The bytes TEXT stands for (nameText's inverse). */
export function nameBytes(text: string): Buffer {
  if (!ESCAPED.test(text)) return Buffer.from(text)
  const parts: Buffer[] = []
  let plain = ''
  for (const char of text) {
    const unit = char.charCodeAt(0)
    if (char.length === 1 && unit >= 0xdc80 && unit <= 0xdcff) {
      parts.push(Buffer.from(plain), Buffer.of(unit - 0xdc00))
      plain = ''
    } else {
      plain += char
    }
  }
  parts.push(Buffer.from(plain))
  return Buffer.concat(parts)
}

/** Whether TEXT holds a byte that is not UTF-8 (kept by nameText). */
export function hasRawBytes(text: string): boolean {
  return ESCAPED.test(text)
}

/** TEXT as a path for Node's fs: the string when it is plain UTF-8, else its bytes. */
export function fsPath(text: string): string | Buffer {
  return ESCAPED.test(text) ? nameBytes(text) : text
}

/** The length of the valid UTF-8 sequence at I (RFC 3629: no overlong form, no surrogate, <= U+10FFFF), else 0. */
function sequenceLength(bytes: Buffer, i: number): number {
  const first = bytes[i] ?? 0
  if (first < 0x80) return 1
  const within = (offset: number, low = 0x80, high = 0xbf) => {
    const byte = bytes[i + offset]
    return byte !== undefined && byte >= low && byte <= high
  }
  if (first >= 0xc2 && first <= 0xdf) return within(1) ? 2 : 0
  if (first >= 0xe0 && first <= 0xef) {
    const [low, high] = first === 0xe0 ? [0xa0, 0xbf] : first === 0xed ? [0x80, 0x9f] : [0x80, 0xbf]
    return within(1, low, high) && within(2) ? 3 : 0
  }
  if (first >= 0xf0 && first <= 0xf4) {
    const [low, high] = first === 0xf0 ? [0x90, 0xbf] : first === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf]
    return within(1, low, high) && within(2) && within(3) ? 4 : 0
  }
  return 0
}
