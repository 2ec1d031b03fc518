/**
 * The {@code amdim} command line: a Picocli top command ({@link org.amdim.tools.AmdimCli}) with one subcommand
 * per task ({@code info}, {@code bench}, ...), shared exit codes (0 ok, 1 failure, 2 usage error) and error
 * reporting that prints stack traces only with {@code --verbose}.
 */
package org.amdim.tools;
