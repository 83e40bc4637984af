/**
 * Spring Boot auto-configuration of Tokenkeeper. Boot, Actuator and Micrometer are the
 * application's: required to compile, never forced at run time beyond what a Boot application has.
 */
module dev.tokenkeeper.spring.boot {
  exports dev.tokenkeeper.spring.boot;
  // Spring creates the auto-configuration and binds the properties by reflection.
  opens dev.tokenkeeper.spring.boot;

  requires transitive dev.tokenkeeper.spring;
  requires dev.tokenkeeper.micrometer;
  requires static spring.core;
  requires static spring.beans;
  requires static spring.context;
  requires static spring.boot;
  requires static spring.boot.autoconfigure;
  requires static spring.boot.restclient;
  requires static spring.boot.webclient;
  requires static spring.boot.health;
  requires static spring.web;
  requires static spring.webflux;
  requires static micrometer.core;
  requires static micrometer.observation;
  requires static transitive org.jspecify;
}
