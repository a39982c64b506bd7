cat: copies the input to the output (a read at end of input gives 0 and ends the loop)
,[.,]
