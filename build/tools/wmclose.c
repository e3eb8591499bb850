/*
 * wmclose: ask an X11 window to close the way a window manager does when the user clicks the
 * close button, with a WM_DELETE_WINDOW client message. The desktop smoke test needs it
 * because Xvfb runs no window manager, and xdotool's windowclose destroys the window instead.
 *
 *   cc -o wmclose wmclose.c -lX11 && wmclose WINDOW-ID
 */
#include <X11/Xlib.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: wmclose WINDOW-ID\n");
		return 2;
	}
	char *end;
	Window w = (Window)strtoul(argv[1], &end, 0);
	if (*end != '\0' || w == 0) {
		fprintf(stderr, "wmclose: %s is not a window id\n", argv[1]);
		return 2;
	}
	Display *d = XOpenDisplay(NULL);
	if (!d) {
		fprintf(stderr, "wmclose: cannot open display %s\n", XDisplayName(NULL));
		return 1;
	}
	XEvent ev = {0};
	ev.xclient.type = ClientMessage;
	ev.xclient.window = w;
	ev.xclient.message_type = XInternAtom(d, "WM_PROTOCOLS", False);
	ev.xclient.format = 32;
	ev.xclient.data.l[0] = (long)XInternAtom(d, "WM_DELETE_WINDOW", False);
	ev.xclient.data.l[1] = CurrentTime;
	if (!XSendEvent(d, w, False, NoEventMask, &ev)) {
		fprintf(stderr, "wmclose: could not send the close request to window %lu\n", (unsigned long)w);
		XCloseDisplay(d);
		return 1;
	}
	XSync(d, False);
	XCloseDisplay(d);
	return 0;
}
