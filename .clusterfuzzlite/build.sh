#!/bin/bash -eu
# ClusterFuzzLite builds exactly what OSS-Fuzz builds: the one script, in oss-fuzz/.
exec "$SRC/lockstep/oss-fuzz/build.sh"
