/**
 * Spring Framework integration: every request to an allowed origin leaves with a valid token from
 * its {@link dev.tokenkeeper.TokenKeeper}, a rejected token is refreshed and the request retried
 * once, and no redirect carries a token to another origin; the rules are those of {@link
 * dev.tokenkeeper.TokenPolicy}, shared by every Tokenkeeper adapter.
 *
 * <pre>{@code
 * TokenPolicy policy = TokenPolicy.of(URI.create("https://api.example.com"), keeper);
 * RestClient restClient = RestClient.builder()
 *     .requestInterceptor(TokenClientHttpRequestInterceptor.of(policy))
 *     .build();
 * WebClient webClient = WebClient.builder()
 *     .filter(TokenExchangeFilterFunction.of(policy))
 *     .build();
 * }</pre>
 *
 * <p>HTTP interface clients ({@code @HttpExchange}) built on such a {@code RestClient} or {@code
 * WebClient} get the same behaviour. Spring Framework 7 is a {@code provided} dependency: bring
 * your own {@code spring-web} (and {@code spring-webflux} for {@code WebClient}). No Spring Boot
 * type is used here; the Boot starter is {@code tokenkeeper-spring-boot-starter}.
 */
@NullMarked
package dev.tokenkeeper.spring;

import org.jspecify.annotations.NullMarked;
