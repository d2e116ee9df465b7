/*
 * The text form of point ids: one rule for the engine (engine/point_id.cc: PointId::FromText, ToString)
 * and the extension (fdw_shippable.c: an id = 'text' clause is pushed down only when the engine finds
 * exactly the points Postgres finds), so the two cannot drift apart. A text is
 *   - a number: a decimal unsigned 64-bit integer without sign or leading zeros ("0", "42"; "007" is not);
 *   - a UUID: 8-4-4-4-12 hexadecimal digits of either case, printed back in lower case;
 *   - a string id: any other text of 1 to GV_MAX_ID_BYTES bytes without NUL, printed back as itself;
 *   - no id at all: the empty text, longer texts, and texts holding NUL.
 * Plain C, compiled into both the engine library and the extension.
 */
#ifndef GOVECTOR_ID_H
#define GOVECTOR_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

#define GV_UUID_BYTES 16
#define GV_UUID_TEXT_LEN 36

typedef enum GvIdTextKind
{
	GV_ID_NUMBER,
	GV_ID_UUID,
	GV_ID_STRING,
	GV_ID_EMPTY,				/* no id: the empty text */
	GV_ID_TOO_LONG,				/* no id: more than GV_MAX_ID_BYTES bytes */
	GV_ID_HAS_NUL				/* no id: holds a NUL byte */
} GvIdTextKind;

/* What len bytes of text are as an id; sets *number for a number, uuid[GV_UUID_BYTES] for a UUID. */
extern GvIdTextKind gv_id_from_text(const char *text, size_t len, uint64_t *number, uint8_t *uuid);

/* Parses 8-4-4-4-12 hexadecimal digits (either case) into uuid[GV_UUID_BYTES]; false for anything else. */
extern bool gv_uuid_parse(const char *text, size_t len, uint8_t *uuid);

/* Writes a UUID's printed form to out: GV_UUID_TEXT_LEN lower-case characters and a NUL. */
extern void gv_uuid_format(const uint8_t *uuid, char *out);

/* True when text is an id that prints back as the same text (read as an id, then printed). */
extern bool gv_id_text_is_canonical(const char *text, size_t len);

#ifdef __cplusplus
}
#endif

#endif							/* GOVECTOR_ID_H */
