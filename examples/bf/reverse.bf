reverse: prints the input backwards (cell 0 stays 0 as the left end marker)
>,[>,]<[.<]
