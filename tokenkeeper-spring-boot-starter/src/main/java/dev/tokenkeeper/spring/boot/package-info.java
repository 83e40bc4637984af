/**
 * Spring Boot auto-configuration of Tokenkeeper: {@code tokenkeeper.clients.<name>.*} properties
 * become {@link dev.tokenkeeper.TokenKeeper} beans, RestClient and WebClient builders get the
 * adapters of {@code tokenkeeper-spring}, Actuator shows each keeper's health and Micrometer its
 * meters. Start with {@link dev.tokenkeeper.spring.boot.TokenKeeperProperties}.
 */
@NullMarked
package dev.tokenkeeper.spring.boot;

import org.jspecify.annotations.NullMarked;
