nested loops: four times four times four plus one is 65 which is A; then a newline
++++[>++++[>++++<-]<-]>>+.
[-]++++++++++.
