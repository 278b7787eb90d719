// SPDX-License-Identifier: MIT
/*
 * fp-udpsend - what any user can send: COUNT UDP datagrams from SRC to
 * DST port 4791, each from a new socket (a new ephemeral source port),
 * each a well-formed RoCEv2 SEND ONLY to QP 0x21 (BTH, 16 payload bytes,
 * room for an ICRC). The module must neither count nor rewrite them.
 * SRC and DST are both IPv4 or both IPv6.
 *
 *   fp-udpsend SRC DST COUNT
 *
 * Exit 0 when all were sent, 1 otherwise.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static const unsigned char bth[12] = {
		0x04, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x21,
		0x00, 0x00, 0x00, 0x01,
	};
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons(4791) };
	struct sockaddr_in6 src6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in6 dst6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(4791) };
	unsigned char pkt[12 + 16 + 4] = { 0 };
	struct sockaddr *s = (struct sockaddr *)&src, *d = (struct sockaddr *)&dst;
	socklen_t alen = sizeof(src);
	int fd, fam = AF_INET;
	long i, n;

	n = argc == 4 ? strtol(argv[3], NULL, 10) : 0;
	if (n > 0 && inet_pton(AF_INET6, argv[1], &src6.sin6_addr) == 1 &&
	    inet_pton(AF_INET6, argv[2], &dst6.sin6_addr) == 1) {
		fam = AF_INET6;
		s = (struct sockaddr *)&src6;
		d = (struct sockaddr *)&dst6;
		alen = sizeof(src6);
	} else if (n <= 0 || inet_pton(AF_INET, argv[1], &src.sin_addr) != 1 ||
		   inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1) {
		fprintf(stderr, "usage: fp-udpsend SRC DST COUNT (both IPv4 or both IPv6)\n");
		return 2;
	}
	memcpy(pkt, bth, sizeof(bth));
	for (i = 0; i < n; i++) {
		fd = socket(fam, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd, s, alen) ||
		    sendto(fd, pkt, sizeof(pkt), 0, d, alen) != (ssize_t)sizeof(pkt)) {
			perror("fp-udpsend");
			return 1;
		}
		close(fd);
	}
	printf("fp-udpsend: %ld datagrams sent\n", n);
	return 0;
}
