/*
 * The text form of point ids (see govector_id.h).
 */
#include "govector_id.h"

#include <string.h>

#include "govector_limits.h"

static int
gv_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A decimal unsigned 64-bit integer without sign or leading zeros. */
static bool
gv_parse_canonical_u64(const char *text, size_t len, uint64_t *out)
{
	uint64_t	v = 0;

	if (len == 0 || len > 20)
		return false;
	if (len > 1 && text[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++)
	{
		uint64_t	d;

		if (text[i] < '0' || text[i] > '9')
			return false;
		d = (uint64_t) (text[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool
gv_uuid_parse(const char *text, size_t len, uint8_t *uuid)
{
	int			bi = 0;

	if (len != GV_UUID_TEXT_LEN)
		return false;
	for (size_t i = 0; i < GV_UUID_TEXT_LEN;)
	{
		int			hi,
					lo;

		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (text[i] != '-')
				return false;
			i++;
			continue;
		}
		hi = gv_hex_value(text[i]);
		lo = gv_hex_value(text[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		uuid[bi++] = (uint8_t) (hi << 4 | lo);
		i += 2;
	}
	return bi == GV_UUID_BYTES;
}

void
gv_uuid_format(const uint8_t *uuid, char *out)
{
	static const char hex[] = "0123456789abcdef";
	char	   *p = out;

	for (int i = 0; i < GV_UUID_BYTES; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[uuid[i] >> 4];
		*p++ = hex[uuid[i] & 15];
	}
	*p = '\0';
}

GvIdTextKind
gv_id_from_text(const char *text, size_t len, uint64_t *number, uint8_t *uuid)
{
	if (gv_parse_canonical_u64(text, len, number))
		return GV_ID_NUMBER;
	if (gv_uuid_parse(text, len, uuid))
		return GV_ID_UUID;
	if (len == 0)
		return GV_ID_EMPTY;
	if (len > GV_MAX_ID_BYTES)
		return GV_ID_TOO_LONG;
	if (memchr(text, '\0', len) != NULL)
		return GV_ID_HAS_NUL;
	return GV_ID_STRING;
}

/* A number prints as its canonical decimal, which is the text it was read from; a string id as itself. */
bool
gv_id_text_is_canonical(const char *text, size_t len)
{
	uint64_t	number;
	uint8_t		uuid[GV_UUID_BYTES];
	char		printed[GV_UUID_TEXT_LEN + 1];

	switch (gv_id_from_text(text, len, &number, uuid))
	{
		case GV_ID_NUMBER:
		case GV_ID_STRING:
			return true;
		case GV_ID_UUID:
			gv_uuid_format(uuid, printed);
			return memcmp(printed, text, GV_UUID_TEXT_LEN) == 0;
		case GV_ID_EMPTY:
		case GV_ID_TOO_LONG:
		case GV_ID_HAS_NUL:
			break;
	}
	return false;
}
