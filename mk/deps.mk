# Libraries found through pkg-config. Add a module name here and its Debian
# -dev package to tools/packages.txt together.
PKGS := libhs libpcre2-8 yaml-0.1 libcurl libcrypto libssl hiredis libqrencode libmaxminddb
ifneq ($(strip $(PKGS)),)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
endif
