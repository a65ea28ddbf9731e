package dev.siglipstream.cli;

import picocli.CommandLine;

/** Prints a failed command's error as one line on stderr (the stack trace only with SIGLIP_DEBUG set). */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
        String message = ex.getMessage() != null ? ex.getMessage() : ex.getClass().getName();
        cmd.getErr().println("siglip " + cmd.getCommandName() + ": error: " + message);
        if (System.getenv("SIGLIP_DEBUG") != null) {
            ex.printStackTrace(cmd.getErr());
        }
        return 1;
    }
}
