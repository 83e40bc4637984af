/**
 * Spring Framework adapters of Tokenkeeper: {@link dev.tokenkeeper.spring.TokenClientHttpRequestInterceptor}
 * for {@code RestClient} and {@code RestTemplate}, {@link dev.tokenkeeper.spring.TokenExchangeFilterFunction}
 * for {@code WebClient}. Spring is the application's (provided, optional dependencies): required to
 * compile, never forced at run time; name it in your own module.
 */
module dev.tokenkeeper.spring {
  exports dev.tokenkeeper.spring;

  // The adapters' API takes TokenPolicy and reports TokenIOException.
  requires transitive dev.tokenkeeper.core;
  // Automatic-Module-Names of Spring Framework 7 and Reactor. Static and not transitive, for the
  // reason given in dev.tokenkeeper.okhttp's module-info: the application names its own Spring.
  requires static spring.core;
  requires static spring.web;
  requires static spring.webflux;
  requires static reactor.core;
  requires static org.reactivestreams;
  requires static transitive org.jspecify;
}
