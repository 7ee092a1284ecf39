/*
 * Multicast for the simulator's paging: the SDK's UDP socket for Linux does
 * not join groups (multicast is on its "To do" list), so this opens a UDP
 * socket of the project's own that does (IP_ADD_MEMBERSHIP on the given
 * interface, or any), non-blocking; hosts/sim/multicast-udp.js polls it. A
 * panel's socket (the SDK's, on lwIP) joins with its own add(). It also
 * sends (mDNS answers): to the group by the same interface, with the hop
 * limit RFC 6762 §11 asks for, and looped back so that other listeners on
 * this machine (the tests) hear it.
 */
#include "xsmc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* open(port, group, interfaceAddress or "") -> the socket's descriptor */
void xs_portier_mcast_open(xsMachine *the)
{
	int port = xsmcToInteger(xsArg(0));
	struct ip_mreq membership;
	struct sockaddr_in address;
	int one = 1;
	int fd;

	memset(&membership, 0, sizeof(membership));
	if (1 != inet_pton(AF_INET, xsmcToString(xsArg(1)), &membership.imr_multiaddr) || !IN_MULTICAST(ntohl(membership.imr_multiaddr.s_addr)))
		xsRangeError("not a multicast group");
	membership.imr_interface.s_addr = htonl(INADDR_ANY);
	if (xsmcToString(xsArg(2))[0] && 1 != inet_pton(AF_INET, xsmcToString(xsArg(2)), &membership.imr_interface))
		xsRangeError("bad interface address");
	if ((port <= 0) || (port > 65535))
		xsRangeError("bad port");

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		xsUnknownError("no socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&address, 0, sizeof(address));
	address.sin_family = AF_INET;
	address.sin_port = htons(port);
	address.sin_addr = membership.imr_multiaddr;	// only the group's datagrams reach this socket
	unsigned char ttl = 255, loop = 1;
	if ((bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0) ||
		(setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &membership, sizeof(membership)) < 0) ||
		((membership.imr_interface.s_addr != htonl(INADDR_ANY)) && (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &membership.imr_interface, sizeof(membership.imr_interface)) < 0)) ||
		(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0) ||
		(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) < 0) ||
		(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK) < 0)) {
		int error = errno;
		close(fd);
		xsUnknownError("multicast join failed: %s", strerror(error));
	}
	xsmcSetInteger(xsResult, fd);
}

/* recv(fd) -> [ArrayBuffer, address, port], or undefined when nothing waits */
void xs_portier_mcast_recv(xsMachine *the)
{
	int fd = xsmcToInteger(xsArg(0));
	uint8_t data[2048];
	struct sockaddr_in from;
	socklen_t fromLength = sizeof(from);
	char text[INET_ADDRSTRLEN];
	ssize_t n = recvfrom(fd, data, sizeof(data), MSG_DONTWAIT, (struct sockaddr *)&from, &fromLength);
	if (n < 0)
		return;
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 3);
	xsmcSetArrayBuffer(xsVar(0), data, (xsUnsignedValue)n);
	xsmcSetIndex(xsResult, 0, xsVar(0));
	inet_ntop(AF_INET, &from.sin_addr, text, sizeof(text));
	xsmcSetString(xsVar(0), text);
	xsmcSetIndex(xsResult, 1, xsVar(0));
	xsmcSetInteger(xsVar(0), ntohs(from.sin_port));
	xsmcSetIndex(xsResult, 2, xsVar(0));
}

/* send(fd, ArrayBuffer, address, port): a datagram to the group or to one address (a failed send is dropped, as UDP's are) */
void xs_portier_mcast_send(xsMachine *the)
{
	int fd = xsmcToInteger(xsArg(0));
	struct sockaddr_in to;
	int port = xsmcToInteger(xsArg(3));
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(port);
	if ((port <= 0) || (port > 65535) || (1 != inet_pton(AF_INET, xsmcToString(xsArg(2)), &to.sin_addr)))
		xsRangeError("bad address");
	sendto(fd, xsmcToArrayBuffer(xsArg(1)), xsmcGetArrayBufferLength(xsArg(1)), 0, (struct sockaddr *)&to, sizeof(to));
}

void xs_portier_mcast_close(xsMachine *the)
{
	close(xsmcToInteger(xsArg(0)));
}
