/* test_xxe.c - the xxe detector: tests/data/xxe/tp.txt must fire at paranoia 1,
 * tn.txt must not; focused checks below. A data line may start with
 * "@LOC[:NAME] " to set the location and name (LOC as in target_loc_name());
 * otherwise body_raw. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "detector_cases.h"

static const detector_under_test D = { .name = "xxe", .fn = xxe_detect, .tp_loc = LOC_BODY_RAW, .tp_name = "",
				       .tn_loc = LOC_BODY_RAW, .tn_name = "" };

static void test_fragments(void)
{
	FRAG("<x/><!DOCTYPE a [<!ENTITY b SYSTEM \"f\">]>", "<!ENTITY b SYSTEM");
	FRAG("<!DOCTYPE a SYSTEM \"http://e.example/x.dtd\"><a/>", "<!DOCTYPE a SYSTEM \"http://e.example/x.dtd\"");
}

static void test_utf16_offsets(void)
{
	/* "<!ENTITY x SYSTEM" in UTF-16LE after a BOM: offsets are in bytes */
	const char v[] = "\xff\xfe<\0!\0E\0N\0T\0I\0T\0Y\0 \0x\0 \0S\0Y\0S\0T\0E\0M\0";
	det_hit h;
	CHECK_INT(run(v, sizeof(v) - 1, 1, &h), 1);
	CHECK_INT(h.off, 2);
}

static void test_paranoia(void)
{
	const char inc[] = "<xsl:stylesheet xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">"
			   "<xsl:include href=\"http://e.example/a.xsl\"/></xsl:stylesheet>";
	CHECK_INT(run(inc, sizeof(inc) - 1, 1, NULL), 0);
	CHECK_INT(run(inc, sizeof(inc) - 1, 2, NULL), 1);
}

static void test_hostile(void)
{
	hostile("<!DOCTYPE a PUBLIC ", LOC_BODY_RAW, "");
	hostile("<!ENTITY % ", LOC_BODY_RAW, "");
	hostile("<xsl:document(", LOC_BODY_RAW, "");
	hostile("<\0!\0", LOC_BODY_RAW, "");
	hostile("'\"<>-[]()", LOC_BODY_RAW, "");
}

int main(void)
{
	DETECTOR_TEST_INIT(D);
	RUN(test_data);
	RUN(test_fragments);
	RUN(test_utf16_offsets);
	RUN(test_paranoia);
	RUN(test_hostile);
	return harness_done("xxe");
}
