/*
 * Distances and the scale of scores (see govector_distance.h).
 */
#include "govector_distance.h"

#include <math.h>

const char *
gv_distance_name(GvDistance d)
{
	switch (d)
	{
		case GV_DISTANCE_COSINE:
			return "cosine";
		case GV_DISTANCE_EUCLID:
			return "euclid";
		case GV_DISTANCE_DOT:
			return "dot";
		case GV_DISTANCE_MANHATTAN:
			return "manhattan";
	}
	return "?";
}

float
gv_score_from_internal(GvDistance d, float internal)
{
	switch (d)
	{
		case GV_DISTANCE_EUCLID:
			return sqrtf(internal < 0.0f ? 0.0f : internal);
		case GV_DISTANCE_COSINE:
		case GV_DISTANCE_DOT:
			return -internal;
		case GV_DISTANCE_MANHATTAN:
			return internal;
	}
	return internal;
}

/* No point has a negative Euclid score: such a score maps below every internal distance (all are >= 0). */
float
gv_internal_from_score(GvDistance d, float score)
{
	switch (d)
	{
		case GV_DISTANCE_EUCLID:
			return score < 0 ? -1.0f : score * score;
		case GV_DISTANCE_COSINE:
		case GV_DISTANCE_DOT:
			return -score;
		case GV_DISTANCE_MANHATTAN:
			return score;
	}
	return score;
}

double
gv_operator_distance_from_score(GvDistance d, float score)
{
	switch (d)
	{
		case GV_DISTANCE_EUCLID:
		case GV_DISTANCE_MANHATTAN:
			return (double) score;
		case GV_DISTANCE_COSINE:
			return 1.0 - (double) score;
		case GV_DISTANCE_DOT:
			return -(double) score;
	}
	return (double) score;
}
