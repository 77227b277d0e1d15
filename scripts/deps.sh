# Sourced by run.sh and test.sh: install Debian packages that are missing.
# Usage: need_packages pkg...
need_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	echo "ftpfs: installing ${missing[*]}" >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}"
}

BUILD_PACKAGES=(gcc meson ninja-build pkg-config libfuse3-dev fuse3 libssl-dev)

# the test matrix: ProFTPD, Pure-FTPd and inetutils ftpd are unpacked, not
# installed (tests/servers/unpack.sh), so their shared libraries that a base
# system lacks are installed here; pytest runs the matrix suite
MATRIX_PACKAGES=(python3-pytest libhiredis0.14 libmemcached11 libmemcachedutil2
	libpcre2-posix3 libwrap0 passwd)
