/* md5.c — MD5 digest of a file or a buffer (RFC 1321), used to identify pseudopotential
 * files in outputs and to check the content of a campaign's part files.  Written from
 * the RFC's algorithm description; a dependency on OpenSSL for one digest was not worth
 * it. */
#include "strainfield/core.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

typedef struct {
  uint32_t h[4];
  uint64_t nbytes;
  unsigned char buf[64];
  size_t nbuf;
} md5_ctx;

/* Per-round left-rotation amounts and the sine-derived constants K[i] = floor(2^32 |sin(i+1)|). */
static const unsigned char rot[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                      5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                      4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                      6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
static const uint32_t K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

static void md5_block(uint32_t h[4], const unsigned char *p)
{
  uint32_t m[16];
  for (int i = 0; i < 16; i++) /* words are little-endian regardless of the host */
    m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
           (uint32_t)p[4 * i + 3] << 24;
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
  for (int i = 0; i < 64; i++) {
    uint32_t f;
    int g;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) & 15;
    }
    uint32_t t = a + f + K[i] + m[g];
    a = d;
    d = c;
    c = b;
    b = b + ((t << rot[i]) | (t >> (32 - rot[i])));
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
}

static void md5_update(md5_ctx *c, const unsigned char *p, size_t n)
{
  c->nbytes += n;
  while (n > 0) {
    size_t take = 64 - c->nbuf;
    if (take > n) take = n;
    memcpy(c->buf + c->nbuf, p, take);
    c->nbuf += take;
    p += take;
    n -= take;
    if (c->nbuf == 64) {
      md5_block(c->h, c->buf);
      c->nbuf = 0;
    }
  }
}

static void md5_final(md5_ctx *c, unsigned char out[16])
{
  uint64_t bits = c->nbytes * 8;
  unsigned char pad = 0x80, zero = 0, len[8];
  md5_update(c, &pad, 1);
  while (c->nbuf != 56) md5_update(c, &zero, 1);
  for (int i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (8 * i));
  md5_update(c, len, 8);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) out[4 * i + j] = (unsigned char)(c->h[i] >> (8 * j));
}

static void md5_hex(md5_ctx *c, char hex[33])
{
  unsigned char d[16];
  md5_final(c, d);
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < 16; i++) {
    hex[2 * i] = digits[d[i] >> 4];
    hex[2 * i + 1] = digits[d[i] & 15];
  }
  hex[32] = '\0';
}

void sf_md5_buffer(const void *data, size_t n, char hex[33])
{
  md5_ctx c = {{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}, 0, {0}, 0};
  md5_update(&c, data, n);
  md5_hex(&c, hex);
}

int sf_md5_file(const char *path, char hex[33])
{
  /* /dev/zero would be digested forever, a FIFO would block the open */
  SF_CHECK(sf_path_check_regular("MD5 checksum", path));
  FILE *f = fopen(path, "rb");
  if (!f) SF_ERROR(SF_ERR_FILE, "%s: cannot open (%s)", path, strerror(errno));
  md5_ctx c = {{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}, 0, {0}, 0};
  unsigned char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) md5_update(&c, buf, n);
  int bad = ferror(f);
  fclose(f);
  if (bad) SF_ERROR(SF_ERR_FILE, "%s: read error", path);
  md5_hex(&c, hex);
  return SF_OK;
}
