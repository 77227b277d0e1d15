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
# installed (tests/servers/unpack.sh), so the shared libraries in their
# Depends (proftpd-core, proftpd-mod-crypto, pure-ftpd, inetutils-ftpd) are
# installed here; passwd has useradd/chpasswd (inetutils ftpd's test user);
# pytest runs the matrix suite
MATRIX_PACKAGES=(python3-pytest passwd libacl1 libcap2 libcrypt1 libhiredis0.14
	libidn2-0 libmemcached11 libmemcachedutil2 libncursesw6 libpam0g
	libpcre2-8-0 libpcre2-posix3 libssl3 libtinfo6 zlib1g libsodium23 libwrap0)

# the real programs of tests/integration/test_programs.py (suite programs)
PROGRAMS_PACKAGES=(git rsync zip unzip sqlite3 libglib2.0-bin tar)
