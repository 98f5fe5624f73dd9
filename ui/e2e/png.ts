// Real PNG images for upload tests, written from scratch (no image
// library): 8-bit RGB, so the server can decode them and make thumbnails.

import { randomBytes } from "node:crypto";
import { deflateSync } from "node:zlib";

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** encodePNG writes an RGB image whose rows row(y) gives, 3 bytes a pixel. */
function encodePNG(width: number, height: number, row: (y: number) => Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  // Each row starts with its filter type, 0 (none).
  const pixels = Buffer.concat(Array.from({ length: height }, (_, y) => Buffer.concat([Buffer.from([0]), row(y)])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(pixels)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** solidPNG is a width×height PNG of one color. */
export function solidPNG(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const row = Buffer.alloc(width * 3);
  for (let x = 0; x < width; x++) row.set([r, g, b], x * 3);
  return encodePNG(width, height, () => row);
}

/** noisePNG is a width×height PNG of random pixels: it hardly compresses,
 * so it weighs about width×height×3 bytes. */
export function noisePNG(width: number, height: number): Buffer {
  return encodePNG(width, height, () => randomBytes(width * 3));
}
