#!/usr/bin/env bash
# Rebuilds the card fonts in this folder (hub/src/card/png.rs embeds them). Not run by the build or
# CI: the subsets are committed. Needs apt-get (Debian's fonts-noto-core) and python3 (fonttools).
#
# Why subsets: the card prints Latin, Devanagari and Arabic-script (Urdu) text; the full Noto files
# cover Greek, Cyrillic, hinting and more, 1.85 MB in all, against 0.75 MB for these. Every OpenType
# layout feature is kept, so conjuncts, matras and Arabic joining shape exactly as in the originals.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download fonts-noto-core=20201225-1 >/dev/null
dpkg -x fonts-noto-core_*.deb x
python3 -m venv venv
venv/bin/pip install -q fonttools==4.68.0
noto=x/usr/share/fonts/truetype/noto
common=(--layout-features='*' --name-IDs='*' --name-languages='*' --notdef-outline --no-hinting
        --desubroutinize --drop-tables+=DSIG)
latin="U+0020-007E,U+00A0-024F,U+0300-036F,U+1E00-1EFF,U+2000-206F,U+20B9,U+25CC"
deva="U+0020-007E,U+00A0,U+0900-097F,U+1CD0-1CFF,U+200B-200D,U+2010-2014,U+20B9,U+25CC,U+A830-A839,U+A8E0-A8FF"
arab="U+0020-007E,U+00A0,U+0600-06FF,U+0750-077F,U+08A0-08FF,U+200B-200F,U+25CC,U+FB50-FDFF,U+FE70-FEFF"
for w in Regular Bold; do
    venv/bin/pyftsubset "$noto/NotoSans-$w.ttf" --unicodes="$latin" "${common[@]}" \
        --output-file="$here/NotoSans-$w.ttf"
    venv/bin/pyftsubset "$noto/NotoSansDevanagari-$w.ttf" --unicodes="$deva" "${common[@]}" \
        --output-file="$here/NotoSansDevanagari-$w.ttf"
    venv/bin/pyftsubset "$noto/NotoNaskhArabic-$w.ttf" --unicodes="$arab" "${common[@]}" \
        --output-file="$here/NotoNaskhArabic-$w.ttf"
done
