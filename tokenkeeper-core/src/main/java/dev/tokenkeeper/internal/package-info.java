/** Implementation of Tokenkeeper. Not an API: anything here may change in any release. */
@NullMarked
package dev.tokenkeeper.internal;

import org.jspecify.annotations.NullMarked;
