# A stand-in for the official eclipse-mosquitto:2 image, built from Debian's mosquitto package,
# for machines that cannot pull from a public registry (CI). Tagged with the name the compose
# file uses; the compose file mounts the configuration and runs deploy/mosquitto/start.sh.
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends mosquitto mosquitto-clients \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /mosquitto/config /mosquitto/data
EXPOSE 1883
CMD ["mosquitto", "-c", "/mosquitto/config/mosquitto.conf"]
