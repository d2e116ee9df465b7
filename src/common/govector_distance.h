/*
 * Distances and the scale of scores: one definition for the engine (engine/config.h's Distance,
 * engine/distance.h's score conversions) and the extension (the foreign data wrapper, which turns a
 * search's scores into the values of its distance operators). Plain C, compiled into both.
 *
 * Scores follow Qdrant: Cosine and Dot report similarity (higher is better: the dot product, of the
 * normalised vectors for Cosine), Euclid and Manhattan report distance (lower is better: L2, L1). Inside,
 * the engine ranks by an internal distance that is lower-is-better for every kind: squared L2 for Euclid,
 * minus the dot product for Cosine and Dot, L1 for Manhattan.
 */
#ifndef GOVECTOR_DISTANCE_H
#define GOVECTOR_DISTANCE_H

#ifdef __cplusplus
extern "C"
{
#endif

/* The values are stored in collection metadata (CollectionMeta.distance): they never change. */
typedef enum GvDistance
{
	GV_DISTANCE_COSINE = 1,
	GV_DISTANCE_EUCLID = 2,
	GV_DISTANCE_DOT = 3,
	GV_DISTANCE_MANHATTAN = 4
} GvDistance;

/* "cosine", "euclid", "dot", "manhattan" ("?" for any other value). */
extern const char *gv_distance_name(GvDistance d);

/* The score of a point at this internal distance, and the internal distance of a score. */
extern float gv_score_from_internal(GvDistance d, float internal);
extern float gv_internal_from_score(GvDistance d, float score);

/*
 * What the distance operator for d returns for a point with this score, in pgvector's meanings: the L2
 * distance (<->, euclid), the cosine distance 1 - similarity (<=>, cosine), the negative inner product
 * (<#>, dot), the L1 distance (<+>, manhattan).
 */
extern double gv_operator_distance_from_score(GvDistance d, float score);

#ifdef __cplusplus
}
#endif

#endif							/* GOVECTOR_DISTANCE_H */
