/*
 * sim_stream.c - see sim_stream.h. Byte-order helpers and the record codecs; nothing else.
 */
#include <endian.h>
#include <string.h>

#include "sim_stream.h"

static void sim_stream_put32(unsigned char *out, uint32_t v)
{
	v = htole32(v);
	memcpy(out, &v, 4);
}

static void sim_stream_put64(unsigned char *out, uint64_t v)
{
	v = htole64(v);
	memcpy(out, &v, 8);
}

static uint32_t sim_stream_get32(const unsigned char *in)
{
	uint32_t v;

	memcpy(&v, in, 4);
	return le32toh(v);
}

static uint64_t sim_stream_get64(const unsigned char *in)
{
	uint64_t v;

	memcpy(&v, in, 8);
	return le64toh(v);
}

uint64_t sim_stream_page_len(uint32_t page_size)
{
	return SIM_STREAM_PAGE_HEAD_LEN + (uint64_t)page_size;
}

uint64_t sim_stream_full_size(uint64_t npages, uint32_t page_size)
{
	return SIM_STREAM_HEADER_LEN + npages * sim_stream_page_len(page_size) + SIM_STREAM_END_LEN;
}

unsigned int sim_stream_head_len(uint32_t type)
{
	switch (type) {
	case SIM_STREAM_HEADER:
		return SIM_STREAM_HEADER_LEN;
	case SIM_STREAM_PAGE:
		return SIM_STREAM_PAGE_HEAD_LEN;
	case SIM_STREAM_END:
		return SIM_STREAM_END_LEN;
	default:
		return 0;
	}
}

void sim_stream_put_header(unsigned char *out, const struct sim_stream_header *h)
{
	sim_stream_put32(out, SIM_STREAM_HEADER);
	sim_stream_put32(out + 4, h->format);
	sim_stream_put64(out + 8, h->magic);
	sim_stream_put32(out + 16, h->page_size);
	sim_stream_put32(out + 20, h->flags);
	sim_stream_put64(out + 24, h->npages);
	sim_stream_put64(out + 32, h->seed);
}

void sim_stream_put_page(unsigned char *out, uint64_t page, uint32_t version)
{
	sim_stream_put32(out, SIM_STREAM_PAGE);
	sim_stream_put32(out + 4, version);
	sim_stream_put64(out + 8, page);
}

void sim_stream_put_end(unsigned char *out, uint64_t pages, uint64_t records)
{
	sim_stream_put32(out, SIM_STREAM_END);
	sim_stream_put32(out + 4, 0);
	sim_stream_put64(out + 8, pages);
	sim_stream_put64(out + 16, records);
}

uint32_t sim_stream_get_type(const unsigned char *in)
{
	return sim_stream_get32(in);
}

void sim_stream_get_header(const unsigned char *in, struct sim_stream_header *ret)
{
	ret->format = sim_stream_get32(in + 4);
	ret->magic = sim_stream_get64(in + 8);
	ret->page_size = sim_stream_get32(in + 16);
	ret->flags = sim_stream_get32(in + 20);
	ret->npages = sim_stream_get64(in + 24);
	ret->seed = sim_stream_get64(in + 32);
}

void sim_stream_get_page(const unsigned char *in, uint64_t *ret_page, uint32_t *ret_version)
{
	*ret_version = sim_stream_get32(in + 4);
	*ret_page = sim_stream_get64(in + 8);
}

void sim_stream_get_end(const unsigned char *in, struct sim_stream_end *ret)
{
	ret->reserved = sim_stream_get32(in + 4);
	ret->pages = sim_stream_get64(in + 8);
	ret->records = sim_stream_get64(in + 16);
}
