/*
 * For tools/bench-xs.js only, never part of the firmware: an LD_PRELOAD shim
 * for the SDK's xst on Linux. XS asks for the C stack's bounds
 * (fxCStackLimit) every time it compiles a RegExp, and on Linux
 * pthread_getattr_np() answers by re-reading /proc/self/maps: a system cost
 * that neither the ESP32 (vTaskGetInfo) nor macOS pays. This shim answers
 * from the first call's result for the calling thread, so regex-heavy code is
 * measured with the engine's own compile cost and without the Linux one.
 *
 *   cc -shared -fPIC -O2 -o xst-stack-cache.so xst-stack-cache.c -ldl
 *   LD_PRELOAD=./xst-stack-cache.so xst script.js
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

static __thread int cached;
static __thread void *stackAddr;
static __thread size_t stackSize;

int pthread_getattr_np(pthread_t thread, pthread_attr_t *attr)
{
	static int (*real)(pthread_t, pthread_attr_t *);
	if (cached && pthread_equal(thread, pthread_self()))
		return pthread_attr_setstack(attr, stackAddr, stackSize);
	if (!real)
		real = (int (*)(pthread_t, pthread_attr_t *))dlsym(RTLD_NEXT, "pthread_getattr_np");
	int result = real(thread, attr);
	if (result == 0 && pthread_equal(thread, pthread_self()) && pthread_attr_getstack(attr, &stackAddr, &stackSize) == 0)
		cached = 1;
	return result;
}
